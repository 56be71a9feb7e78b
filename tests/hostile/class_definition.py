# hostile prior: class definition
# expect: refused at load
class Evil:
    def __del__(self):
        pass

def policy(obs):
    return [0.0] * 3
