wevtutil cl Security
Clear-EventLog -LogName System
