# The helpers, model definitions and JSON schema of make_refs.R (everything it defines before
# its CASES list), without running its cases. Sourced by the other make_refs_*.R scripts:
#   source(file.path("tests", "reference", "make_refs_helpers.R"))

for (expr in parse(file.path("tests", "reference", "make_refs.R"))) {
  if (is.call(expr) && identical(expr[[1]], as.name("<-")) && identical(expr[[2]], as.name("CASES"))) break
  eval(expr, globalenv())
}
