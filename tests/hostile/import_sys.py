# hostile prior: import sys
# expect: refused at load
import numpy as np
import sys

def policy(obs):
    return np.zeros(3)
