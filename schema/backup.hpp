// Online backup of a renewmatch database file to another file (SQLite's backup API), safe while
// renewmatchd is running: the copy is one consistent snapshot taken under a read transaction, so
// concurrent writers (WAL) are neither blocked for long nor half-copied.
//
// Added by the server owner for `renewmatch db backup`; lives in schema/ because nothing above
// schema/ may assume SQLite.
//
// Thread-safety: a free function with no shared state.
#pragma once

#include "schema/errc.hpp"

#include <string>

namespace renewmatch::schema {

// Copies `source_path` into `dest_path`. The copy is written to "<dest_path>.partial" and renamed
// into place only when complete, so a failed backup never leaves a truncated file under the
// final name. Fails with:
//   kConflict     dest_path already exists (never overwritten);
//   kNotFound     source_path does not exist;
//   kUnavailable  a file cannot be opened, written or renamed;
//   kBusy         the source stayed locked past the busy timeout.
// The reason in words goes to *error_message when given.
[[nodiscard]] Result<void> BackupDatabase(const std::string& source_path,
                                          const std::string& dest_path,
                                          std::string* error_message = nullptr);

}  // namespace renewmatch::schema
