using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PolicyNotices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "RequiresReconsent",
                table: "PolicyEditions",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Reference",
                table: "Outbox",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "PolicyNoticeRuns",
                columns: table => new
                {
                    EditionNumber = table.Column<int>(type: "INTEGER", nullable: false),
                    Cursor = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Queued = table.Column<int>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PolicyNoticeRuns", x => x.EditionNumber);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PolicyNoticeRuns");

            migrationBuilder.DropColumn(
                name: "RequiresReconsent",
                table: "PolicyEditions");

            migrationBuilder.DropColumn(
                name: "Reference",
                table: "Outbox");
        }
    }
}
