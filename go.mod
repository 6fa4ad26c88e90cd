module github.com/gcdet/gcdet

go 1.26
