/**
 * The NATS users and permissions of lib/nats-permissions.ts, for deployments:
 *
 *   npx tsx scripts/nats-auth.ts write-deploy   rewrite the users block of every deploy/nats/*.conf
 *   npx tsx scripts/nats-auth.ts secrets        print a fresh random password per identity, as
 *                                               .env lines for docker compose (`>> .env`)
 *   npx tsx scripts/nats-auth.ts block          print the users block (passwords from env)
 *
 * The deploy configs name each password's environment variable (`$NATS_PASSWORD_ORCHESTRATOR`…),
 * which nats-server resolves at start; test/system/nats-permissions.test.ts fails when a config
 * holds another block than the one generated here.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorizationBlock, NATS_IDENTITIES, PASSWORD_ENV, randomPasswords } from '../lib/nats-permissions.ts';

const DEPLOY = new URL('../deploy/nats', import.meta.url).pathname;
/** Everything after this line in a deploy config is generated. */
export const USERS_MARKER = '# --- users and permissions: generated, do not edit below (scripts/nats-auth.ts write-deploy) ---';

const [command] = process.argv.slice(2);
if (command === 'write-deploy') {
  for (const file of readdirSync(DEPLOY).filter((name) => name.endsWith('.conf'))) {
    const path = join(DEPLOY, file);
    const text = readFileSync(path, 'utf8');
    const head = text.includes(USERS_MARKER) ? text.slice(0, text.indexOf(USERS_MARKER)) : `${text.trimEnd()}\n\n`;
    writeFileSync(path, `${head}${USERS_MARKER}\n${authorizationBlock('env')}\n`);
    console.log(`wrote ${path}`);
  }
} else if (command === 'secrets') {
  const passwords = randomPasswords();
  for (const identity of NATS_IDENTITIES) console.log(`${PASSWORD_ENV[identity]}=${passwords[identity]}`);
} else if (command === 'block') {
  console.log(authorizationBlock('env'));
} else {
  console.error('usage: npx tsx scripts/nats-auth.ts write-deploy | secrets | block');
  process.exit(2);
}
