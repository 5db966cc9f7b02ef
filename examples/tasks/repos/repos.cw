# A set of git repositories kept cloned and up to date, each with its tests run after a pull.
#   pincer task apply repos.cw --no-ai
# The URLs default to local bare repos so the example runs offline; point them at real ones
# in repos.cwvars (see repos.cwvars.example) or with PINCER_TASK_VAR_origin.

task "repos" {}

variable "origin" {
  default     = "origin"
  description = "the folder (or URL prefix) the repositories are cloned from"
}

directory "checkouts" {
  path = "checkouts"
}

git_repo "alpha" {
  url          = "${var.origin}/alpha.git"
  path         = "${directory.checkouts.path}/alpha"
  branch       = "main"
  test_command = "sh test.sh"
}

git_repo "beta" {
  url          = "${var.origin}/beta.git"
  path         = "${directory.checkouts.path}/beta"
  branch       = "main"
  test_command = "sh test.sh"
}
