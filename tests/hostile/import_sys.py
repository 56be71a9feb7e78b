# hostile prior: import sys
# expect: refused at load
# refused: import of 'sys' is not allowed (only math and numpy)
import numpy as np
import sys

def policy(obs):
    return np.zeros(3)
