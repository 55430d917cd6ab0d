package controller

import "testing"

func TestQuorumSingleVoter(t *testing.T) {
	c := startController(t, testConfig(1, t.TempDir()))
	st, err := c.Quorum()
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "Leader" || st.LeaderID != 1 || st.Term < 1 || st.CommitIndex < 1 ||
		st.AppliedIndex > st.LastLogIndex || st.LastContact.IsZero() {
		t.Errorf("quorum status %+v", st)
	}
	if len(st.Voters) != 1 || st.Voters[0].ID != 1 || st.Voters[0].LogEndOffset != int64(st.LastLogIndex) || len(st.Observers) != 0 {
		t.Errorf("members: voters %+v observers %+v", st.Voters, st.Observers)
	}
	if rs := c.RaftState(); rs.Voters != nil || rs.State != "Leader" {
		t.Errorf("RaftState %+v", rs)
	}
}
