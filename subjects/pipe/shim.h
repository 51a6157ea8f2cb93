// Inside libbroken_pipe.so: an LD_PRELOAD library that breaks pipes and FIFOs the way a buggy
// kernel, libc or emulator would, so the suite's meta-tests can watch every pipe assertion fail.
// IPCCONF_BREAK names ONE defect (the list is below; defects.txt says what each breaks).
// Unset or empty: every call goes straight to libc. An unknown name: exit 2 with a message.
// Only pipes and FIFOs are touched, and never the ones the process got as stdin/stdout/stderr:
// the harness (socketpairs, pidfds, /proc) keeps working under every defect.
// Wrapped: read, write, close, lseek, fstat, fstatat, pipe, pipe2, fork, the exec family, _exit,
// fcntl, fpathconf, pathconf, poll, ppoll, select, pselect. What bypasses them (syscall(2),
// readv/writev, epoll, posix_spawn) sees the real pipes.
#ifndef IPCCONF_HARNESS_BROKEN_SHIM_H_
#define IPCCONF_HARNESS_BROKEN_SHIM_H_

#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

// X(EnumName, defect_name): every defect the shim knows, in the order of defects.txt.
#define IPCCONF_PIPE_DEFECTS(X)                            \
  X(ReadNeverBlocks, read_never_blocks)                    \
  X(WriteNeverBlocks, write_never_blocks)                  \
  X(WokenWriterGetsEintr, woken_writer_gets_eintr)         \
  X(EofIsError, eof_is_error)                              \
  X(EofIsEagain, eof_is_eagain)                            \
  X(EofOnce, eof_once)                                     \
  X(EofDropsData, eof_drops_data)                          \
  X(NoSigpipe, no_sigpipe)                                 \
  X(SigpipeNoEpipe, sigpipe_no_epipe)                      \
  X(BlockedWriterMissesEpipe, blocked_writer_misses_epipe) \
  X(DuplicatesBytes, duplicates_bytes)                     \
  X(ForkClosesPipes, fork_closes_pipes)                    \
  X(ForkCopiesDescription, fork_copies_description)        \
  X(ExecClosesPipes, exec_closes_pipes)                    \
  X(ExecKeepsCloexec, exec_keeps_cloexec)                  \
  X(ReadsOneByte, reads_one_byte)                          \
  X(PacketMode, packet_mode)                               \
  X(DataDiesWithWriter, data_dies_with_writer)             \
  X(PipeDiesWithCreator, pipe_dies_with_creator)           \
  X(CloseKeepsFd, close_keeps_fd)                          \
  X(PipeEndsSwapped, pipe_ends_swapped)                    \
  X(BidirectionalEnds, bidirectional_ends)                 \
  X(OwnWritesUnreadable, own_writes_unreadable)            \
  X(FdsNotLowest, fds_not_lowest)                          \
  X(PipeSetsCloexec, pipe_sets_cloexec)                    \
  X(Pipe2IgnoresCloexec, pipe2_ignores_cloexec)            \
  X(Pipe2IgnoresNonblock, pipe2_ignores_nonblock)          \
  X(Pipe2AcceptsBadFlags, pipe2_accepts_bad_flags)         \
  X(FstatNotFifo, fstat_not_fifo)                          \
  X(LseekSucceeds, lseek_succeeds)                         \
  X(SmallPipeBuf, small_pipe_buf)                          \
  X(NonatomicWrites, nonatomic_writes)                     \
  X(LargeWriteShort, large_write_short)                    \
  X(NonblockReadEof, nonblock_read_eof)                    \
  X(NonblockEofEagain, nonblock_eof_eagain)                \
  X(NonblockWriteReturnsZero, nonblock_write_returns_zero) \
  X(PartialSmallNonblock, partial_small_nonblock)          \
  X(LargeNonblockEagain, large_nonblock_eagain)            \
  X(PollAlwaysReadable, poll_always_readable)              \
  X(PollAlwaysWritable, poll_always_writable)              \
  X(PollWakeupLost, poll_wakeup_lost)                      \
  X(PollNoHup, poll_no_hup)                                \
  X(PollNoErr, poll_no_err)                                \
  X(EintrAsEof, eintr_as_eof)                              \
  X(SaRestartIgnored, sa_restart_ignored)                  \
  X(TinyCapacity, tiny_capacity)                           \
  X(GetpipeSzLies, getpipe_sz_lies)                        \
  X(SetpipeSzShort, setpipe_sz_short)                      \
  X(SetpipeSzDropsData, setpipe_sz_drops_data)            \
  X(LegalOnePage, legal_one_page)                          \
  X(LegalPipeBuf512, legal_pipe_buf_512)

namespace brokenpipe {

enum class Defect {
  kNone,
#define IPCCONF_DEFECT_ENUMERATOR(Enum, name) k##Enum,
  IPCCONF_PIPE_DEFECTS(IPCCONF_DEFECT_ENUMERATOR)
#undef IPCCONF_DEFECT_ENUMERATOR
};

// The defect chosen by IPCCONF_BREAK (kNone when unset).
extern Defect g_defect;
inline bool Is(Defect d) { return g_defect == d; }
inline bool Broken() { return g_defect != Defect::kNone; }

// libc's own functions, found with dlsym(RTLD_NEXT): the wrappers call these, never themselves.
struct RealCalls {
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*write)(int, const void*, size_t);
  int (*close)(int);
  int (*pipe)(int*);
  int (*pipe2)(int*, int);
  int (*fcntl)(int, int, ...);
  long (*fpathconf)(int, int);
  long (*pathconf)(const char*, int);
  int (*poll)(struct pollfd*, nfds_t, int);
  int (*ppoll)(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*);
  int (*select)(int, fd_set*, fd_set*, fd_set*, struct timeval*);
  int (*pselect)(int, fd_set*, fd_set*, fd_set*, const struct timespec*, const sigset_t*);
  off_t (*lseek)(int, off_t, int);
  int (*fstat)(int, struct stat*);
  int (*fstatat)(int, const char*, struct stat*, int);
  pid_t (*fork)();
  int (*execve)(const char*, char* const*, char* const*);
  int (*execvpe)(const char*, char* const*, char* const*);
  void (*exit_now)(int);  // _exit
};
const RealCalls& Real();

// The pipe ends the shim breaks: pipes and FIFOs, except what fds 0-2 were at start-up.
bool IsSubjectPipe(int fd, struct stat* st = nullptr);
bool IsReadEnd(int fd);   // open for reading (O_RDONLY or O_RDWR)
bool IsWriteEnd(int fd);  // open for writing (O_WRONLY or O_RDWR)
bool IsNonBlocking(int fd);
// Bytes queued in the pipe (FIONREAD), 0 on error.
int QueuedBytes(int fd);
// Readiness of `fd` right now: poll() with a zero timeout, as revents.
short ReadyNow(int fd, short events);

// A second open file description of the same pipe, through /proc/self/fd (as open(2) of a FIFO
// does). O_NONBLOCK is set on it; -1 when it cannot be had (e.g. a writer with no reader).
int ReopenPipe(int fd, int access_mode);
// Reads and throws away up to `limit` queued bytes of the pipe `fd` belongs to; returns how many.
size_t DiscardQueued(int fd, size_t limit);

// Calls fn(fd) for every open fd of this process that IsSubjectPipe. Async-signal-safe enough
// for a freshly forked child (no malloc).
void ForEachSubjectPipe(void (*fn)(int fd));

// Per-fd memory of the shim (reset when the fd is made or closed).
enum FdMark : unsigned char { kSawEof = 1 };
void SetMark(int fd, FdMark m);
bool HasMark(int fd, FdMark m);
void ClearMarks(int fd);

// Pipes (by inode) this process wrote to: data_dies_with_writer, own_writes_unreadable.
void NoteWritten(ino_t ino);
bool WasWritten(ino_t ino);
void ForgetWritten();

// Pipes (by inode) and the pid that created them, shared by a process and its forked children.
void NoteCreator(ino_t ino, pid_t creator);
// True if `ino` was made by a process that has since ended (exited or zombie).
bool CreatorGone(ino_t ino);

// What data_dies_with_writer does when a writer goes away: unread bytes of its pipes vanish.
void DiscardWrittenData();

}  // namespace brokenpipe

#endif  // IPCCONF_HARNESS_BROKEN_SHIM_H_
