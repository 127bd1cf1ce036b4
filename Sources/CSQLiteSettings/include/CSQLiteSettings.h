#ifndef USERVAULT_CSQLITESETTINGS_H
#define USERVAULT_CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS). With them on, every
/// allocation SQLite makes takes one process-wide mutex to count bytes: parallel readers of
/// the embedded store spent much of their time waiting on it. Effective only before SQLite is
/// first used in the process (sqlite3_config is variadic, so Swift cannot call it directly).
/// Returns SQLITE_OK, or SQLITE_MISUSE when SQLite was already initialised.
int uservault_sqlite_disable_memory_statistics(void);

#endif
