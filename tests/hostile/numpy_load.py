# hostile prior: numpy load
# expect: refused at load
import numpy as np

def policy(obs):
    return np.load('CANARY_FILE.npy')[:3]
