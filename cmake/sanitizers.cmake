# -DTRIT_SANITIZE="address;undefined" or "thread": applied to every target in the tree.
if(TRIT_SANITIZE)
  foreach(s IN LISTS TRIT_SANITIZE)
    add_compile_options(-fsanitize=${s})
    add_link_options(-fsanitize=${s})
  endforeach()
  add_compile_options(-fno-omit-frame-pointer -fno-sanitize-recover=all)
endif()
