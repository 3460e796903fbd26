// TableStore (see table_store.h).
#include "engine/table_store.h"

#include "common/json_text.h"

namespace strix::engine {

TableStore::TableStore(const Program& p)
    : p_(p), rows_(p.tables.size()), without_key_(p.tables.size(), 0) {}

bool TableStore::KeyText(const Value& v, std::string& out) {
  out.clear();
  return AppendKeyPart(out, v);
}

bool TableStore::Holds(const TableFilter& f, const Event& e, EvalScratch& s) const {
  if (!f.any_type && !(e.type().is_string() && e.type().text == f.type)) return false;
  if (f.where == kNoNode) return true;
  const TableStore* was = s.tables;
  s.tables = this;  // a filter's own lookups see the tables as they are
  bool ok = Test(p_, f.where, e, s);
  s.tables = was;
  return ok;
}

bool TableStore::IsChangelog(const Event& e, EvalScratch& s) const {
  for (const TableSpec& t : p_.tables) {
    if (Holds(t.from, e, s) || (t.has_delete && Holds(t.del, e, s))) return true;
  }
  return false;
}

void TableStore::Apply(const Event& e, EvalScratch& s) {
  for (uint32_t t = 0; t < p_.tables.size(); ++t) {
    const TableSpec& spec = p_.tables[t];
    if (spec.has_delete && Holds(spec.del, e, s)) {
      if (!KeyText(e.slots[spec.del.key_slot], key_)) {
        ++without_key_[t];
        continue;
      }
      if (rows_[t].erase(key_)) ++version_;
      continue;
    }
    if (Holds(spec.from, e, s) && !Upsert(t, e)) ++without_key_[t];
  }
}

bool TableStore::Upsert(uint32_t table, const Event& e) {
  if (!KeyText(e.slots[p_.tables[table].from.key_slot], key_)) return false;
  rows_[table].insert_or_assign(key_, e.Clone());
  ++version_;
  return true;
}

namespace {

// Members of a JSON object's text at its top level (the element count of an object Value).
double TopLevelMembers(std::string_view json) {
  int depth = 0;
  bool in_string = false, escaped = false, any = false;
  double commas = 0;
  for (char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      any = any || depth == 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      ++commas;
    }
  }
  return any ? commas + 1 : 0;
}

}  // namespace

Value TableStore::Lookup(uint32_t table, const Value& key, uint32_t member,
                         LookupMemo* memo) const {
  std::string text;
  if (!KeyText(key, text)) return Value();
  const Event* found = nullptr;
  if (memo && memo->table == table && memo->version == version_ && memo->key == text) {
    found = memo->row;
  } else {
    auto it = rows_[table].find(text);
    found = it == rows_[table].end() ? nullptr : &it->second;
    if (memo) {
      memo->table = table;
      memo->version = version_;
      memo->key = std::move(text);
      memo->row = found;
    }
  }
  if (!found) return Value();
  const Event& row = *found;
  const uint32_t slot = p_.tables[table].member_slots[member];
  if (slot == kWholeEvent) {
    Value v;
    v.kind = ValueKind::kObject;
    v.text = row.raw;
    v.number = TopLevelMembers(row.raw);
    return v;
  }
  return slot < row.slots.size() ? row.slots[slot] : Value();
}

void TableStore::Clear() {
  for (auto& rows : rows_) rows.clear();
  ++version_;  // memos of rows that are gone must not match
}

void TableStore::Save(TableRows& out) const {
  const uint32_t first = static_cast<uint32_t>(out.names.size());
  for (const TableSpec& t : p_.tables) out.names.push_back(t.name);
  for (uint32_t t = 0; t < rows_.size(); ++t) {
    for (const auto& [key, row] : rows_[t]) {
      out.rows.Add(row.raw, row.time, row.source, row.line, row.seq);
      out.table_of_row.push_back(first + t);
    }
  }
}

std::vector<uint64_t> TableStore::row_counts() const {
  std::vector<uint64_t> n;
  for (const auto& t : rows_) n.push_back(t.size());
  return n;
}

}  // namespace strix::engine
