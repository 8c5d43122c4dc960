// policy.mjs: writes the browser tests' policy, examples/policy.yaml with three changes, so that
// the tests see the example's pages (brand, purposes, notices, forms) as they are on main:
// the forms' success_url and error_url go (a post then ends on samtycke's own thank-you page,
// not on www.example.com, which a test browser cannot reach), the test site's origins are
// added to every form's allowed_origins (the embedded form), and event_invitations needs
// double opt-in (the preference centre's "a double opt-in purpose given on the page"); the test
// site's origins are also added to the banner's origins.
// Usage: node tests/e2e/policy.mjs OUT.yaml [ORIGIN...]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const [out, ...origins] = process.argv.slice(2);
if (!out) {
	console.error('usage: node tests/e2e/policy.mjs OUT.yaml [ORIGIN...]');
	process.exit(2);
}
const doc = YAML.parse(readFileSync(path.join(root, 'examples', 'policy.yaml'), 'utf8'));
for (const form of Object.values(doc.forms || {})) {
	delete form.success_url;
	delete form.error_url;
	form.allowed_origins = [...(form.allowed_origins || []), ...origins];
}
// the banner (docs/banner.md) may be loaded by the test sites too
if (doc.banner) doc.banner.origins = [...(doc.banner.origins || []), ...origins];
if (!doc.purposes?.event_invitations) {
	console.error('examples/policy.yaml has no purpose event_invitations: tests/e2e/policy.mjs needs one');
	process.exit(1);
}
doc.purposes.event_invitations.double_opt_in = true;
writeFileSync(out, '# written by tests/e2e/policy.mjs from examples/policy.yaml\n' + YAML.stringify(doc));
