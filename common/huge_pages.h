// HugePageAllocator: a std::allocator for the few very large arrays that are filled once and
// read many times (a parsed rule file's expression arena and rules, the program's nodes). Blocks of
// 4 MiB and more are mapped on their own, 2 MiB aligned, and advised as huge pages (MADV_HUGEPAGE),
// so that a machine whose transparent huge pages are set to `madvise` (not `always`) does not take
// one page fault per 4 KiB while the array is first written: on such a VM, 100k rules compiled ~2x
// faster. Smaller blocks, and systems without madvise, use operator new. Stage: shared. Interface:
// HugePageAllocator<T>, BigVector<T>. Covered by test/common_test.cc.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace strix {

namespace huge_pages {
constexpr size_t kMinBytes = size_t{4} << 20;  // smaller blocks come from operator new
// Whole 2 MiB pages at a 2 MiB boundary, advised as huge pages; nullptr when mapping fails.
void* Map(size_t bytes);
void Unmap(void* p, size_t bytes);
}  // namespace huge_pages

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes >= huge_pages::kMinBytes) {
      if (void* p = huge_pages::Map(bytes)) return static_cast<T*>(p);
      throw std::bad_alloc();
    }
    return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, size_t n) {
    size_t bytes = n * sizeof(T);
    if (bytes >= huge_pages::kMinBytes) {
      huge_pages::Unmap(p, bytes);
    } else {
      ::operator delete (p, std::align_val_t{alignof(T)});
    }
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

// A vector that may grow large: its big blocks in huge pages.
template <class T>
using BigVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace strix
