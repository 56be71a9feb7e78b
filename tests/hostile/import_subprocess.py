# hostile prior: import subprocess
# expect: refused at load
# refused: import from 'subprocess' is not allowed (only math and numpy)
from subprocess import run

def policy(obs):
    run(['touch', 'CANARY_FILE'])
    return [0.0, 0.0, 0.0]
