/**
 * Small builders for OpenAPI v3 schemas that a CustomResourceDefinition accepts. The schemas
 * written with them are the single source of truth: TypeScript types come from them through
 * TypeBox's `Static`, and `crds/` is generated from them (see scripts/generate.ts).
 *
 * CRD schemas must be structural: no `const`, no `patternProperties`, no `$ref`; enums and
 * string maps are therefore written with `Type.Unsafe` in the shape the API server expects.
 */
import {
  Type,
  type TSchema,
  type TString,
  type TUnsafe,
  type SchemaOptions,
} from '@sinclair/typebox';

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Options that attach CEL rules to a schema node. */
export function cel(...rules: CelRule[]): SchemaOptions {
  return { 'x-kubernetes-validations': rules };
}

/** A string limited to the given values. */
export function StringEnum<const T extends string>(
  values: readonly T[],
  options: SchemaOptions = {},
): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/** A map of string to string (labels, metadata). */
export function StringMap(options: SchemaOptions = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 1024 },
    ...options,
  });
}

/** A port number or a named port, as NetworkPolicy accepts. */
export function IntOrString(options: SchemaOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({ 'x-kubernetes-int-or-string': true, ...options });
}

/** A DNS-1123 label: what Kubernetes allows for most object names. */
export function DnsLabel(options: SchemaOptions = {}): TString {
  return Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    ...options,
  });
}

/** A DNS-1123 subdomain: what Kubernetes allows for ServiceAccount and Role names. */
export function DnsSubdomain(options: SchemaOptions = {}): TString {
  return Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    ...options,
  });
}

/**
 * A Go duration string such as `720h` or `90m`: CEL's `duration()` parses this form, so
 * cross-field rules can compare durations on the API server.
 */
export function Duration(options: SchemaOptions = {}): TString {
  // At most 16 characters of at most 6-digit numbers keeps every value far below the
  // 290 years a Go duration can hold, so CEL's duration() never overflows.
  return Type.String({
    maxLength: 16,
    pattern: '^([0-9]{1,6}(\\.[0-9]{1,9})?(ns|us|ms|s|m|h))+$',
    ...options,
  });
}

/** A string with at least one character that is not white space. */
export function NonBlankString(options: SchemaOptions & { maxLength: number }): TString {
  return Type.String({
    minLength: 1,
    ...options,
    ...cel({ rule: "self.matches('\\\\S')", message: 'must not be blank' }),
  });
}

/** An RFC 3339 timestamp. */
export function Timestamp(options: SchemaOptions = {}): TString {
  return Type.String({ format: 'date-time', maxLength: 64, ...options });
}

/** A list whose items are identified by `key` (server-side apply merges by it). */
export function MapList<T extends TSchema>(
  items: T,
  key: string,
  options: SchemaOptions = {},
): ReturnType<typeof Type.Array<T>> {
  return Type.Array(items, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': [key],
    ...options,
  });
}

/** A list of unique scalar values. */
export function SetList<T extends TSchema>(
  items: T,
  options: SchemaOptions = {},
): ReturnType<typeof Type.Array<T>> {
  return Type.Array(items, { 'x-kubernetes-list-type': 'set', ...options });
}
