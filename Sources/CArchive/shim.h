// libarchive, from the system (Debian: libarchive-dev).
#include <archive.h>
#include <archive_entry.h>
