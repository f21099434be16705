package main

import "github.com/mdeproxyc/mdeproxyc/model"

type modelProfile = model.Profile
