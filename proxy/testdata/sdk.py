# The Python SDK (Debian's python3-docker) through the proxy; prints one JSON object.
# usage: python3 sdk.py DOCKER_HOST IMAGE LABEL=VALUE
import json
import sys
import time

import docker

host, image, label = sys.argv[1:4]
k, v = label.split("=", 1)
c = docker.DockerClient(base_url=host, version="auto")
out = {}
ctr = c.containers.create(image, labels={k: v})
hc = c.api.inspect_container(ctr.id)["HostConfig"]
out["capdrop"], out["network"], out["secopt"] = hc["CapDrop"], hc["NetworkMode"], hc["SecurityOpt"]
try:
    c.containers.create(image, privileged=True, labels={k: v})
    out["privileged"] = "created"
except docker.errors.APIError as e:
    out["privileged"] = str(e.explanation)
try:
    c.containers.create(image, volumes={"/var/run/docker.sock": {"bind": "/s", "mode": "rw"}}, labels={k: v})
    out["socket"] = "created"
except docker.errors.APIError as e:
    out["socket"] = str(e.explanation)
out["run"] = c.containers.run(image, ["say", "hi", "2"], remove=True, labels={k: v}).decode()

# exec through an Upgrade hijack
sleeper = c.containers.run(image, ["sleep"], detach=True, labels={k: v})
out["exec"] = sleeper.exec_run(["/ctr", "say", "exec", "1"]).output.decode()
try:
    sleeper.exec_run(["/ctr"], privileged=True)
    out["exec_privileged"] = "ran"
except docker.errors.APIError as e:
    out["exec_privileged"] = str(e.explanation)
sleeper.remove(force=True)

# an attach that hijacks without an Upgrade header
cat = c.containers.get(c.api.create_container(image, ["cat"], stdin_open=True, labels={k: v})["Id"])
res = c.api._post(c.api._url("/containers/{0}/attach", cat.id),
                  params={"stdin": 1, "stdout": 1, "stream": 1}, stream=True)
sock = c.api._get_raw_response_socket(res)
cat.start()
sock._sock.sendall(b"spliced\n")
data, deadline = b"", time.time() + 10
while b"spliced" not in data and time.time() < deadline:
    chunk = sock._sock.recv(4096)
    if not chunk:
        break
    data += chunk
out["attach"] = data[8:].decode(errors="replace")
sock._sock.close()
cat.remove(force=True)
print(json.dumps(out))
