module kubebin.local/images

go 1.22
