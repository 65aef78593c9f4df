"""Runs an Argo CD health script under Lua 5.1 (Argo CD's dialect) the way Argo CD does:
the resource is the global `obj`, and the script returns a table with status and message.
Usage: run-health.py SCRIPT < resource.json; prints {"status": ..., "message": ...}."""
import json
import sys

from lupa import lua51


def to_lua(runtime, value):
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def main():
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    assert runtime.eval("_VERSION") == "Lua 5.1"
    with open(sys.argv[1], encoding="utf-8") as handle:
        script = handle.read()
    runtime.globals().obj = to_lua(runtime, json.load(sys.stdin))
    result = runtime.execute(script)
    print(json.dumps({"status": result["status"], "message": result["message"]}))


main()
