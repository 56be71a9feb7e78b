# hostile prior: import os
# expect: refused at load
# refused: import of 'os' is not allowed (only math and numpy)
import os

def policy(obs):
    os.system('touch CANARY_FILE')
    return obs[:3] * 0
