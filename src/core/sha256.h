// SHA-256 of files and buffers (OpenSSL), hex-encoded: model identity in receipts.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.h"

namespace trit {

std::string sha256_hex(const void* data, size_t n);
Result<std::string> sha256_file(const std::string& path);

}  // namespace trit
