package lint

import "github.com/mdeproxyc/mdeproxyc/model"

func diagPos(file string, line, col int) model.Pos {
	return model.Pos{File: file, Line: line, Col: col}
}
