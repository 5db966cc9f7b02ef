# A folder backup: a dated tar archive of `notes/` in `backups/`, made on apply and listed as
# a nightly crontab line (schedule) for the user to install.
#   pincer task apply backup.cw --no-ai

task "backup" {}

variable "source" {
  default = "notes"
}

directory "notes" {
  path = var.source
}

file "readme" {
  path    = "${directory.notes.path}/README.txt"
  content = "Files here are archived into ../backups by the backup task.\n"
}

directory "backups" {
  path = "backups"
}

command "archive" {
  run        = "tar -czf backups/${var.source}-$(date +%Y%m%d).tar.gz ${var.source}"
  depends_on = [directory.backups, file.readme]
}

schedule "nightly" {
  cron = "0 3 * * *"
  run  = "tar -czf backups/${var.source}-$(date +%Y%m%d).tar.gz ${var.source}"
}
