# The fuzz entry points, one row each: the same sources are linked with libFuzzer in fuzz/ (clang,
# -DTRIT_FUZZ=ON) and with fuzz/replay_main.cpp into plain executables in tests/reliability/, which
# replay fuzz/corpus/<name>/ under any compiler (ctest: fuzz_replay_<name>).
#   trit_fuzz_target(NAME SOURCES DEPS) is defined by the includer.
set(TRIT_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(TRIT_FUZZ_TARGETS gguf vocab_gguf model_gguf tokenizer chat_template request)
set(TRIT_FUZZ_gguf_SOURCES ${TRIT_FUZZ_DIR}/fuzz_gguf.cpp)
set(TRIT_FUZZ_gguf_DEPS trit_gguf trit_core)
set(TRIT_FUZZ_vocab_gguf_SOURCES ${TRIT_FUZZ_DIR}/fuzz_vocab_gguf.cpp)
set(TRIT_FUZZ_vocab_gguf_DEPS trit_tokenizer trit_gguf trit_core)
set(TRIT_FUZZ_model_gguf_SOURCES ${TRIT_FUZZ_DIR}/fuzz_model_gguf.cpp)
set(TRIT_FUZZ_model_gguf_DEPS trit_model trit_kernels trit_quant trit_gguf trit_core)
set(TRIT_FUZZ_tokenizer_SOURCES ${TRIT_FUZZ_DIR}/fuzz_tokenizer.cpp)
set(TRIT_FUZZ_tokenizer_DEPS trit_tokenizer trit_gguf trit_core)
set(TRIT_FUZZ_chat_template_SOURCES ${TRIT_FUZZ_DIR}/fuzz_chat_template.cpp)
set(TRIT_FUZZ_chat_template_DEPS trit_tokenizer trit_core)
# request.cpp alone (not trit_serve, which pulls in the HTTP server and the model): the parser has
# no I/O and needs only JSON and the sampler's parameter check (sampler.cpp, not trit_generate).
set(TRIT_FUZZ_request_SOURCES ${TRIT_FUZZ_DIR}/fuzz_request.cpp ${PROJECT_SOURCE_DIR}/src/serve/request.cpp
    ${PROJECT_SOURCE_DIR}/src/generate/sampler.cpp)
set(TRIT_FUZZ_request_DEPS trit_tokenizer trit_core nlohmann_json::nlohmann_json)
