# hostile prior: returns nan
# expect: refused at load
import numpy as np

def policy(obs):
    return np.full(3, np.nan)
