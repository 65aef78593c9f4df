// Starts the local environment (control plane, OpenBao, moto) for manual work and prints
// the variables that point kubectl, helm and the operator at it. Ctrl-C stops everything.
import { startLocalEnvironment } from './local-env/index.js';

const env = await startLocalEnvironment();
const lines = Object.entries(env.processEnv())
  .filter(([key]) => key !== 'PATH')
  .map(([key, value]) => `export ${key}='${value}'`);
console.log(`# The local environment is running. In another shell:\n${lines.join('\n')}`);
console.log(`export PATH='${env.tools.binDir}':"$PATH"`);
console.log('# Ctrl-C here stops it and removes its data.');
await new Promise(() => undefined);
