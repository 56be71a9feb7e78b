# hostile prior: import os
# expect: refused at load
import os

def policy(obs):
    os.system('touch CANARY_FILE')
    return obs[:3] * 0
