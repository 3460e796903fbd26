// TableStore: the rows of a program's tables (LANGUAGE.md 7), kept up to date by changelog
// events in processing order. Stage: engine (match; the Engine applies each event after the
// rules have seen it, so an event never sees its own update). Interface: TableStore.
// A row is the changelog event that set it (an owned copy: raw line and decoded fields), so a
// lookup reads a member as a field of that event, and a checkpoint or a reload re-decodes the
// row from its raw line. Keys compare as partition keys do (JSON text of the value: `7` and
// `7.0` are one key); a missing or null key changes nothing.
// Thread safety: lookups are const and may run on many threads while nothing is applied (the
// engine applies updates between batches). Covered by test/table_test.cc.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/evaluate.h"
#include "engine/program.h"
#include "engine/snapshot.h"

namespace strix::engine {

class TableStore {
 public:
  explicit TableStore(const Program& p);

  // Whether `e` upserts or deletes a row of any table (its `from` or `delete on` filter holds).
  bool IsChangelog(const Event& e, EvalScratch& s) const;
  // Applies `e` to every table whose filters it meets: `delete on` wins over `from`.
  void Apply(const Event& e, EvalScratch& s);
  // Sets the row of `e`'s key in `table` to `e`, whatever its type (--table preloads); false
  // when the key is missing or null.
  bool Upsert(uint32_t table, const Event& e);
  // The member `member` (TableSpec::members) of the row of `key` in `table`; missing when there
  // is no such row. Views into the row: valid until the next update. `memo` (the caller's,
  // one per thread) remembers the last row found, so repeated lookups of a key cost a compare.
  Value Lookup(uint32_t table, const Value& key, uint32_t member, LookupMemo* memo = nullptr) const;

  // Per table: its rows.
  std::vector<uint64_t> row_counts() const;
  // Per table: changelog events (of its `from` or `delete on`) whose key was missing or null,
  // so that they changed nothing; said at the end of a run.
  const std::vector<uint64_t>& without_key() const { return without_key_; }
  // Every row, as its changelog event's line and position, with its table's name
  // (checkpoints, take-over); appended to `out`.
  void Save(TableRows& out) const;
  // Every row goes (a restore replaces the rows with the saved ones).
  void Clear();

 private:
  bool Holds(const TableFilter& f, const Event& e, EvalScratch& s) const;
  static bool KeyText(const Value& v, std::string& out);

  const Program& p_;
  std::vector<std::unordered_map<std::string, Event>> rows_;  // per table: key text -> row
  uint64_t version_ = 1;  // changes with every update (LookupMemo)
  std::vector<uint64_t> without_key_;
  std::string key_;  // scratch
};

}  // namespace strix::engine
