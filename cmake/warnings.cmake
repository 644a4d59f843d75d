# Warnings for trit's own targets: call trit_warnings(target).
function(trit_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow=local -Wnon-virtual-dtor
                         -Wno-unused-parameter)
  if(TRIT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# trit_library(name SOURCES... [DEPS ...]): one library per src/ folder, src/ as the include root.
function(trit_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} PUBLIC ${ARG_PUBLIC_DEPS})
  trit_warnings(${name})
endfunction()
