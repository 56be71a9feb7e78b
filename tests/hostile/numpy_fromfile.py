# hostile prior: numpy fromfile
# expect: refused at load
import numpy as np

def policy(obs):
    data = np.fromfile('/etc/passwd', dtype=np.uint8)
    return np.zeros(3) + data[0]
