#include "CSQLiteSettings.h"

// The vendored SQLite's entry point under sqlite-nio's prefix. Declared here rather than included: its header belongs
// to a target the package does not export, and the symbol is linked into every binary that links SQLiteNIO.
extern int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

// sqlite3.h: `#define SQLITE_DBCONFIG_ENABLE_QPSG 1007 /* int int* */`
enum { ENABLE_QPSG = 1007 };

int switchboard_sqlite_enable_stable_plans(void *db) {
    int enabled = 0;
    int code = sqlite_nio_sqlite3_db_config(db, ENABLE_QPSG, 1, &enabled);
    if (code != 0) return code;
    return enabled == 1 ? 0 : 1;
}
