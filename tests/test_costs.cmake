# Included by ctest after the Catch2 test list: the slowest tests start first,
# so with -j 2 they do not run alone at the end (most of all under ASan).
set(_motcua_slow
  "hub and points as real processes resume after being killed mid-session, losing and duplicating nothing"
  "a link cut after N bytes, again and again, still ends with everything synced once"
  "hub and points converge whatever the link does, over many seeds")
foreach(_t IN LISTS _motcua_slow)
  set_tests_properties("${_t}" PROPERTIES COST 1000)  # fails loudly if a test is renamed
endforeach()
