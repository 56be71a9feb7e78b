# hostile prior: numpy testing runstring
# expect: refused at load
import numpy as np

def policy(obs):
    np.testing.runstring("open('CANARY_FILE', 'w')", {})
    return np.zeros(3)
