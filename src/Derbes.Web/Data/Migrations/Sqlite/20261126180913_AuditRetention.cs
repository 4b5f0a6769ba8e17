using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditRetention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Role",
                table: "AuditEntries",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "AuditCheckpoints",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstPurgedId = table.Column<long>(type: "INTEGER", nullable: false),
                    LastPurgedId = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstPurgedPreviousHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    LastPurgedHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PurgedCount = table.Column<long>(type: "INTEGER", nullable: false),
                    PurgedFrom = table.Column<long>(type: "INTEGER", nullable: false),
                    PurgedTo = table.Column<long>(type: "INTEGER", nullable: false),
                    KeyId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Signature = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditCheckpoints", x => x.Id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditCheckpoints");

            migrationBuilder.DropColumn(
                name: "Role",
                table: "AuditEntries");
        }
    }
}
