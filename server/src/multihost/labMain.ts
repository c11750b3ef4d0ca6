/**
 * `npm run lab -w server`: the multi-host lab (MultihostLab: two app hosts
 * and two media hosts in network namespaces, HAProxy in front) kept running
 * for a load test against it, until Ctrl-C. It prints, as one JSON line, what
 * a load test needs: the balancer's and each app host's URL, and the
 * database and key passwords to write people into it, e.g.
 *
 *   npm run lab -w server > /tmp/lab.json &
 *   DATABASE_URL=… MUSTER_KEY_PASSWORD_1=… npm run loadtest -- --scenario calls --via chat --url <app urls> …
 *
 * LAB_ENV (a JSON object) adds settings to every host. Needs root, iproute2 and haproxy.
 */
import { log } from '@muster/kit/log';
import { stopOnSignals } from '../cluster/lifecycle.ts';
import { MultihostLab } from './MultihostLab.ts';

const env = process.env.LAB_ENV ? (JSON.parse(process.env.LAB_ENV) as Record<string, string>) : {};
const lab = await MultihostLab.start({ env });
// One line on stdout for the caller to read (the hosts' logs stay in their HostProcess buffers).
process.stdout.write(
  `${JSON.stringify({
    balancer: lab.balancer.url,
    appUrls: lab.appUrls,
    mediaHosts: lab.mediaHosts.map((h) => h.address),
    apiToken: lab.apiToken,
    env: { DATABASE_URL: lab.databaseUrl, ...lab.keyPasswords, MUSTER_API_TOKEN: lab.apiToken },
  })}\n`,
);
stopOnSignals(log.child({ component: 'lab' }), () => lab.stop());
