# hostile prior: numpy save
# expect: refused at load
import numpy as np

def policy(obs):
    np.save('CANARY_FILE', obs)
    return np.zeros(3)
