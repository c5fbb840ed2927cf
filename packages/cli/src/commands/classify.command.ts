import { parseArgs } from 'node:util';
import { loadCatalog } from '@shadow-ai/catalog';
import { UsageError, type Io } from '../io.ts';

export const CLASSIFY_HELP = `Usage: shadow-ai classify HOST_OR_URL... [--method M] [--user-agent UA]

Classifies destinations against the AI app catalog; one JSON object per input on stdout:
  {"input","appId","appName","category","activity","matchedBy"}   (appId null when no app matches)

Inputs: a host (chatgpt.com), host:port (claude.ai:443), or a URL (https://api.openai.com/v1/chat/completions).
A URL's path, with --method and --user-agent, lets API signatures refine the activity.

Options:
  --method M         HTTP method for signature matching (e.g. POST)
  --user-agent UA    User-Agent for signature matching
  -h, --help         this text
`;

export async function classifyCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { method: { type: 'string' }, 'user-agent': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(CLASSIFY_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('classify needs at least one HOST_OR_URL');
  const catalog = loadCatalog();
  for (const input of positionals) {
    const { host, url } = splitInput(input);
    const m = catalog.matcher.match({ host, url, method: values.method ?? null, userAgent: values['user-agent'] ?? null });
    io.out(
      JSON.stringify({
        input,
        appId: m?.app.id ?? null,
        appName: m?.app.name ?? null,
        category: m?.app.category ?? null,
        activity: m?.activity ?? null,
        matchedBy: m?.matchedBy ?? null,
      }) + '\n',
    );
  }
  return 0;
}

function splitInput(input: string): { host: string | null; url: string | null } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    try {
      const u = new URL(input);
      return { host: u.hostname.replace(/^\[|\]$/g, ''), url: input };
    } catch {
      return { host: null, url: null };
    }
  }
  return { host: input, url: null };
}
