// Tells ThreadSanitizer about the contended paths of Swift's `Synchronization.Mutex` on Linux.
// Linked into the ThreadSanitizer build only (scripts/sanitizers/run.sh thread), never into the
// product.
//
// Why: `Mutex.withLock` is inlined into our (instrumented) code. Its fast paths are atomic
// compare-exchanges that TSan sees (acquire on lock, release on unlock). When the lock is
// contended, `_MutexHandle._lockSlow`, `_tryLockSlow` and `_unlockSlow` run instead, in
// libswiftSynchronization.so, which is not instrumented: they spin with their own atomics and
// then use FUTEX_LOCK_PI / FUTEX_UNLOCK_PI, where the kernel hands the lock from one thread
// to the next without the lock word ever going back to 0 (swiftlang/swift issue 88440). TSan
// sees no release and no acquire, so two threads that took the mutex one after the other look
// like a race on whatever the mutex guards: "Swift access race" in a `withLock` closure (seen
// in MaterialCache.put, KeyedLock, concurrentMap's state and the latency fixture's quotas).
// The same happened to the runtime's own `swift_once` lock and was fixed there with TSan
// annotations (swiftlang/swift pull request 66721); Mutex has none in Swift 6.3.
//
// How: the linker's --wrap sends our calls of the three slow paths here (run.sh passes
// `-Xlinker --wrap=SYMBOL` for each); each calls the real one (`__real_SYMBOL`) and adds the
// edge TSan missed: an acquire on the lock word after the lock is taken, a release before it is
// given up. The fast paths use the same address, so every handover is one happens-before edge.
// Accesses outside the lock are still reported: nothing here hides a report, it only supplies
// the synchronisation that really happened.
//
// The calling convention: Swift passes the borrowed `_MutexHandle` (its address) as the
// method's self, in the `swiftself` register; clang's `swift_context` parameter is that register.
#include <stdbool.h>
#include <stdint.h>

void __tsan_acquire(void *address);
void __tsan_release(void *address);

#define MUTEX_HANDLE(member) "$s15Synchronization12_MutexHandleV" member
#define LOCK_SLOW MUTEX_HANDLE("9_lockSlowyys6UInt32VF")
#define TRY_LOCK_SLOW MUTEX_HANDLE("12_tryLockSlowSbyF")
#define UNLOCK_SLOW MUTEX_HANDLE("11_unlockSlowyyF")
#define SWIFTCALL __attribute__((swiftcall))
#define SWIFT_SELF __attribute__((swift_context))

// _MutexHandle._lockSlow(_ selfId: UInt32)
SWIFTCALL void real_lock_slow(uint32_t thread, void *SWIFT_SELF handle) __asm__("__real_" LOCK_SLOW);
SWIFTCALL void wrap_lock_slow(uint32_t thread, void *SWIFT_SELF handle) __asm__("__wrap_" LOCK_SLOW);
SWIFTCALL void wrap_lock_slow(uint32_t thread, void *SWIFT_SELF handle) {
    real_lock_slow(thread, handle);
    __tsan_acquire(handle);
}

// _MutexHandle._tryLockSlow() -> Bool
SWIFTCALL bool real_try_lock_slow(void *SWIFT_SELF handle) __asm__("__real_" TRY_LOCK_SLOW);
SWIFTCALL bool wrap_try_lock_slow(void *SWIFT_SELF handle) __asm__("__wrap_" TRY_LOCK_SLOW);
SWIFTCALL bool wrap_try_lock_slow(void *SWIFT_SELF handle) {
    bool locked = real_try_lock_slow(handle);
    if (locked) __tsan_acquire(handle);
    return locked;
}

// _MutexHandle._unlockSlow()
SWIFTCALL void real_unlock_slow(void *SWIFT_SELF handle) __asm__("__real_" UNLOCK_SLOW);
SWIFTCALL void wrap_unlock_slow(void *SWIFT_SELF handle) __asm__("__wrap_" UNLOCK_SLOW);
SWIFTCALL void wrap_unlock_slow(void *SWIFT_SELF handle) {
    __tsan_release(handle);
    real_unlock_slow(handle);
}
