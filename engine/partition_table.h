// PartitionTable: the live partitions of one sequence rule, by key.
// Stage: engine (sequence matching). Interface: Find(), Insert(), Erase(), Remove(), ForEach().
// An open-addressing table (linear probing, backward-shift deletion) of (key hash, pointer):
// one probe usually touches one cache line, then the partition itself. Equal hashes of
// different keys are told apart by the key text. Not thread-safe.
// Covered by test/sequence_test.cc (state freed) and the sequence differential test.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace strix::engine {

template <typename Part>  // Part has `uint64_t hash` and `std::string key_text`
class PartitionTable {
 public:
  PartitionTable() : slots_(16) {}
  ~PartitionTable() {
    for (Slot& s : slots_) delete s.part;
  }
  PartitionTable(const PartitionTable&) = delete;
  PartitionTable& operator=(const PartitionTable&) = delete;

  // Trades contents with `o` (new rules taking an unchanged rule's partitions over whole).
  void Swap(PartitionTable& o) {
    slots_.swap(o.slots_);
    std::swap(size_, o.size_);
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

  Part* Find(uint64_t hash, std::string_view key) const {
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!s.part) return nullptr;
      if (s.hash == hash && s.part->key_text == key) return s.part;
    }
  }

  // Adds a new partition for `key` (which must not be present).
  Part* Insert(uint64_t hash, std::string_view key) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    auto* p = new Part();
    p->hash = hash;
    p->key_text = std::string(key);
    Place(hash, p);
    ++size_;
    return p;
  }

  void Erase(Part* p) {
    Remove(p);
    delete p;
  }

  // Takes `p` out of the table without freeing it (the caller owns it then).
  void Remove(Part* p) {
    size_t mask = slots_.size() - 1;
    size_t i = p->hash & mask;
    while (slots_[i].part != p) i = (i + 1) & mask;
    // Backward-shift: move later entries of the probe run into the hole.
    size_t hole = i;
    for (size_t j = (i + 1) & mask; slots_[j].part; j = (j + 1) & mask) {
      size_t home = slots_[j].hash & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot();
    --size_;
  }

  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.part) f(static_cast<const Part&>(*s.part));
    }
  }
  template <typename F>
  void ForEachMutable(F&& f) {
    for (Slot& s : slots_) {
      if (s.part) f(*s.part);
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    Part* part = nullptr;
  };
  void Place(uint64_t hash, Part* p) {
    size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].part) i = (i + 1) & mask;
    slots_[i] = Slot{hash, p};
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.part) Place(s.hash, s.part);
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace strix::engine
