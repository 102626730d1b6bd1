#!/usr/bin/env bash
# Prints whatever kubebin put on a host that is still there (nothing after playbooks/reset.yml).
for p in /etc/kubernetes /etc/etcd /etc/flannel /etc/cni/net.d /etc/containerd /etc/docker/daemon.json \
  /etc/crictl.yaml /etc/modules-load.d/kubebin.conf /etc/sysctl.d/90-kubebin.conf /opt/cni/bin \
  /var/lib/kubelet /var/lib/kube-proxy /var/lib/etcd /var/lib/kubebin /var/lib/cri-dockerd /var/lib/docker \
  /var/lib/containerd /var/log/kubernetes /run/flannel /usr/local/sbin/kubebin-runc \
  /usr/local/bin/kubelet /usr/local/bin/kube-proxy /usr/local/bin/kubectl /usr/local/bin/etcd \
  /usr/local/bin/etcdctl /usr/local/bin/etcdutl /usr/local/bin/flanneld /usr/local/bin/cri-dockerd \
  /usr/local/bin/crictl /usr/local/bin/containerd /usr/local/bin/ctr /usr/local/lib/kubebin-csr-approver; do
  [ -e "$p" ] && echo "path $p"
done
for u in kubelet kube-proxy flanneld kubebin-pod-routes etcd cri-docker kube-apiserver kube-controller-manager \
  kube-scheduler kubebin-csr-approver; do
  [ -e "/etc/systemd/system/$u.service" ] && echo "unit file $u"
  systemctl is-active --quiet "$u" && echo "unit active $u"
done
for i in cni0 flannel.1; do ip link show "$i" >/dev/null 2>&1 && echo "interface $i"; done
for t in iptables-legacy iptables-nft ip6tables-legacy ip6tables-nft; do
  command -v "$t-save" >/dev/null && "$t-save" | grep -E 'KUBE-|FLANNEL|CNI-' | sed "s/^/$t /" | head -3
done
findmnt -rn -o TARGET | grep '^/var/lib/kubelet' | sed 's/^/mount /'
true
