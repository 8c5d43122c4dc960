/* version.h: how each layer names the libraries it owns and the versions they run with, for
 * `samtycke --version` (src/cli/version.c calls every layer's *_versions function in turn). */
#ifndef SK_VERSION_H
#define SK_VERSION_H

/* Called once per library: its name ("libsodium") and the version this process runs with
 * ("1.0.18"), read at run time where the library can tell it. */
typedef void sk_version_fn(void *arg, const char *lib, const char *version);

#endif
