//! A value that belongs to one process: made on first use, and made afresh in a forked child.
//!
//! PHP-FPM forks its workers from a master. Anything a parent thread may have held at the moment
//! of `fork()` (a lock, a future, a pooled socket) is unusable in the child: nobody there will ever
//! release it. So a child never touches its parent's value. It does not drop it either, since that
//! would run destructors over locks and tasks of threads that do not exist in the child: the
//! parent's value is leaked in the child, as `runtime.rs` leaks the parent's runtime.
//!
//! The current value is reached through an atomic pointer, not a lock, so finding out "this value
//! is my parent's" takes no lock that the parent might have held while forking.

use std::sync::atomic::{AtomicPtr, Ordering};

pub struct PerProcess<T: Default + Send + Sync + 'static> {
    current: AtomicPtr<Owned<T>>,
}

struct Owned<T> {
    pid: u32,
    value: T,
}

impl<T: Default + Send + Sync + 'static> PerProcess<T> {
    pub const fn new() -> Self {
        PerProcess {
            current: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// This process's value, made with `T::default()` on first use in the process.
    pub fn get(&self) -> &'static T {
        let pid = crate::runtime::pid();
        loop {
            let current = self.current.load(Ordering::Acquire);
            // SAFETY: a non-null pointer here comes from `Box::into_raw` below and is never
            // freed, so it is valid for the rest of the process (and in a forked child's copy).
            if let Some(owned) = unsafe { current.as_ref() }
                && owned.pid == pid
            {
                return &owned.value;
            }
            let fresh = Box::into_raw(Box::new(Owned {
                pid,
                value: T::default(),
            }));
            match self
                .current
                .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: just installed; from now on it is never freed (see above).
                Ok(_) => return unsafe { &(*fresh).value },
                // Another thread of this process installed its value first: ours was never
                // shared, so it is dropped, and the loop returns theirs.
                // SAFETY: `fresh` came from `Box::into_raw` and nobody else has seen it.
                Err(_) => drop(unsafe { Box::from_raw(fresh) }),
            }
        }
    }
}

impl<T: Default + Send + Sync + 'static> Default for PerProcess<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Counter(AtomicUsize);

    #[test]
    fn one_value_per_process_shared_by_every_thread() {
        static VALUE: PerProcess<Counter> = PerProcess::new();
        let threads: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(|| VALUE.get().0.fetch_add(1, Ordering::SeqCst)))
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(VALUE.get().0.load(Ordering::SeqCst), 8);
        assert!(std::ptr::eq(VALUE.get(), VALUE.get()));
    }
}
