// An SQLite VFS for the storage-fault tests: the default VFS with every file
// write failing as on a full disk (SQLITE_FULL) while `full` is set. A node
// opened with node::OpenOptions::sqlite_vfs = FaultVfs::name() runs on it;
// other connections are not affected.
#pragma once
#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace motcua::test {

class FaultVfs {
 public:
  static constexpr const char* name() { return "motcua-fault"; }

  // Registers the VFS once (thread-safe) and returns the switch.
  static FaultVfs& instance() {
    static FaultVfs v;
    return v;
  }

  std::atomic<bool> full{false};
  std::atomic<int> refused_writes{0};

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // the default VFS's file, right after this struct
  };

  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  FaultVfs() {
    real_vfs_ = sqlite3_vfs_find(nullptr);
    if (!real_vfs_) throw std::runtime_error("no default SQLite VFS");
    vfs_ = *real_vfs_;
    vfs_.pNext = nullptr;
    vfs_.zName = name();
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_vfs_->szOsFile;
    vfs_.xOpen = &open;
    methods_.iVersion = 3;
    methods_.xClose = [](sqlite3_file* f) {
      int rc = real(f)->pMethods->xClose(real(f));
      return rc;
    };
    methods_.xRead = [](sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
      return real(f)->pMethods->xRead(real(f), p, n, off);
    };
    methods_.xWrite = [](sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
      if (instance().full) {
        instance().refused_writes++;
        return SQLITE_FULL;
      }
      return real(f)->pMethods->xWrite(real(f), p, n, off);
    };
    methods_.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
      return real(f)->pMethods->xTruncate(real(f), size);
    };
    methods_.xSync = [](sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); };
    methods_.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
      return real(f)->pMethods->xFileSize(real(f), size);
    };
    methods_.xLock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); };
    methods_.xUnlock = [](sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); };
    methods_.xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return real(f)->pMethods->xCheckReservedLock(real(f), out);
    };
    methods_.xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return real(f)->pMethods->xFileControl(real(f), op, arg);
    };
    methods_.xSectorSize = [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); };
    methods_.xDeviceCharacteristics = [](sqlite3_file* f) {
      return real(f)->pMethods->xDeviceCharacteristics(real(f));
    };
    methods_.xShmMap = [](sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
      return real(f)->pMethods->xShmMap(real(f), pg, sz, extend, p);
    };
    methods_.xShmLock = [](sqlite3_file* f, int off, int n, int flags) {
      return real(f)->pMethods->xShmLock(real(f), off, n, flags);
    };
    methods_.xShmBarrier = [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); };
    methods_.xShmUnmap = [](sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); };
    // No memory-mapped reads: every page goes through xRead/xWrite.
    methods_.xFetch = [](sqlite3_file*, sqlite3_int64, int, void** p) {
      *p = nullptr;
      return SQLITE_OK;
    };
    methods_.xUnfetch = [](sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; };
    if (sqlite3_vfs_register(&vfs_, 0) != SQLITE_OK) throw std::runtime_error("cannot register the fault VFS");
  }

  static int open(sqlite3_vfs*, sqlite3_filename zname, sqlite3_file* f, int flags, int* out_flags) {
    FaultVfs& v = instance();
    File* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    std::memset(file->real, 0, static_cast<size_t>(v.real_vfs_->szOsFile));
    int rc = v.real_vfs_->xOpen(v.real_vfs_, zname, file->real, flags, out_flags);
    file->base.pMethods = file->real->pMethods ? &v.methods_ : nullptr;
    return rc;
  }

  sqlite3_vfs* real_vfs_ = nullptr;
  sqlite3_vfs vfs_{};
  sqlite3_io_methods methods_{};
};

}  // namespace motcua::test
