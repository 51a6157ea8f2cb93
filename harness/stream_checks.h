// Checks on what went through a pipe or FIFO, shared by the areas that need
// them:
//  - records written concurrently by many writers (each a writer id, a sequence
//  number and a
//    fill derived from both) and a verifier that says whether each arrived
//    whole and in order (XSH write(): writes of at most {PIPE_BUF} bytes are
//    not interleaved);
//  - reading to end-of-file with a bound, so a writer that never closes fails
//  the test.
#ifndef IPCCONF_HARNESS_STREAM_CHECKS_H_
#define IPCCONF_HARNESS_STREAM_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/child.h"
#include "harness/pipe_kinds.h"  // ReadToEndOfFile, which the FIFO tests read with
#include "gtest/gtest.h"

namespace ipcconf {

// The smallest record that carries its writer and sequence number.
inline constexpr size_t kMinRecordSize = 6;

// Record `seq` of writer `writer` (0..255), `size` >= kMinRecordSize bytes.
std::string MakeRecord(int writer, uint32_t seq, size_t size);

// Writes records 0..count-1 of `writer`, one write() each. Returns 0, or 1 +
// errno-ish code on a failed or short write (for a child's exit status).
int WriteRecords(int fd, int writer, int count, size_t size);

// Succeeds if `stream` is exactly writers x per_writer records of `size` bytes,
// each whole, and each writer's records in order. Otherwise names the first
// torn or missing record.
::testing::AssertionResult AllRecordsWhole(const std::string &stream, size_t size, int writers,
                                           int per_writer);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_STREAM_CHECKS_H_
