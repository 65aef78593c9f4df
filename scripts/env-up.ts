// Starts the local environment (control plane, OpenBao, moto) for manual work and prints
// the variables that point kubectl, helm and the operator at it. Ctrl-C stops everything.
// It starts empty: no CRDs, agents or operator (`npm run demo` is the one with everything).
import { shellExports, startLocalEnvironment } from './local-env/index.js';

const env = await startLocalEnvironment();
console.log('# The local environment is running (empty: no CRDs, no operator). In another shell:');
console.log(shellExports(env).join('\n'));
console.log('# Ctrl-C here stops it and removes its data.');
await new Promise(() => undefined);
