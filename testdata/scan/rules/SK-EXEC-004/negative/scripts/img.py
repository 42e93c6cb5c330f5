import base64
open('out.png','wb').write(base64.b64decode(data))
