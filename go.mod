module github.com/tabtune/tabtune

go 1.26
