# hostile prior: import subprocess
# expect: refused at load
from subprocess import run

def policy(obs):
    run(['touch', 'CANARY_FILE'])
    return [0.0, 0.0, 0.0]
