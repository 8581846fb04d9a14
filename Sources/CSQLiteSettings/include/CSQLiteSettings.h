#ifndef SWITCHBOARD_CSQLITE_SETTINGS_H
#define SWITCHBOARD_CSQLITE_SETTINGS_H

/// Connection settings of the SQLite that sqlite-nio vendors which only its variadic `sqlite3_db_config` reaches, and
/// Swift cannot call a variadic C function.
///
/// Turns on the query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`): a statement keeps the plan it was
/// prepared with whatever values are bound to it. Without it, SQLite marks a statement for preparing again whenever
/// a parameter the planner looked at is bound anew, which for a `WHERE column = ?1 … ORDER BY …` query is on every
/// execution. Returns 0 when the guarantee is on, an SQLite result code otherwise.
int switchboard_sqlite_enable_stable_plans(void *db);

#endif
